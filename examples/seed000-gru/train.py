# Adapted from the question in shared seed 000 (PyTorch forums, GRU accuracy collapse):
# a 2-layer GRU sentiment classifier on IMDB whose train accuracy climbed to 0.99 by epoch 25 and
# fell back to 0.51 at epoch 27. The model, optimizer and loop are the poster's; the imports, the
# data loading and the checkpoint bookkeeping are filled in so the script runs on its own.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
from datasets import load_dataset
from transformers import AutoTokenizer
from tqdm import tqdm


class SentimentAnalysisModel(nn.Module):
    def __init__(self,vocab_size,embedding_dim=128,hidden_dim=256,num_layer=2,pad_id=0,dropout=0.5):
        super().__init__()
        self.embedding=nn.Embedding(vocab_size,embedding_dim,padding_idx=pad_id)
        self.GRU=nn.GRU(embedding_dim,hidden_dim,num_layer,batch_first=True,dropout=dropout)
        self.linear=nn.Linear(hidden_dim,1)
    def forward(self,input_ids):
        embedded=self.embedding(input_ids)
        output,hidden=self.GRU(embedded)
        last_hidden=hidden[-1]
        out=self.linear(last_hidden)
        return out


def Accuracy(y,output):
    return ((output>0).float()==y).sum().item()


def encode(split,tokenizer,max_length=500):
    texts=split["text"]
    labels=torch.tensor(split["label"],dtype=torch.float32).unsqueeze(1)
    ids=tokenizer(texts,padding="max_length",truncation=True,max_length=max_length,return_tensors="pt")["input_ids"]
    return TensorDataset(ids,labels)


device=torch.device("cuda" if torch.cuda.is_available() else "cpu")
tokenizer=AutoTokenizer.from_pretrained("bert-base-uncased")
imdb=load_dataset("imdb")
train_dataloader=DataLoader(encode(imdb["train"],tokenizer),batch_size=256,shuffle=True)
validation_dataloader=DataLoader(encode(imdb["test"],tokenizer),batch_size=256)

model=SentimentAnalysisModel(tokenizer.vocab_size,pad_id=tokenizer.pad_token_id).to(device)
optimizer=torch.optim.Adam(model.parameters(),lr=1e-3,weight_decay=1e-5)
loss_fn=nn.BCEWithLogitsLoss()

loss1=[]
epoch1=[]
accuracy=[]
start_index=0
number_of_epochs=50
best_val_loss=float('inf')
for epoch in tqdm(range(start_index, start_index + number_of_epochs)):
    loss_epoch=0
    count=0
    accuracy_epoch=0
    total=0
    valid_loss_acc=0
    valid_count=0
    model.train()
    for x,y in train_dataloader:
        x=x.to(device)
        y=y.to(device)
        optimizer.zero_grad()
        output=model(x)
        loss=loss_fn(output,y)
        loss.backward()
        optimizer.step()
        loss_epoch+=loss.item()
        accuracy_epoch+=Accuracy(y,output)
        total+=y.size(0)
        count+=1
    loss1.append(loss_epoch/count)
    epoch1.append(epoch)
    accuracy.append(accuracy_epoch/total)
    model.eval()
    for x,y in validation_dataloader:
        with torch.inference_mode():
            x=x.to(device)
            y=y.to(device)
            valid_output=model(x)
            valid_loss_acc+=loss_fn(valid_output,y).item()
            valid_count+=1
    valid_loss=valid_loss_acc/valid_count
    if valid_loss<best_val_loss:
        best_val_loss=valid_loss
        torch.save({
            'epoch': epoch,
            'model_state_dict': model.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(),
            'loss': loss_epoch/count,
            'accuracy': accuracy,
            'epoch1': epoch1,
            'loss1': loss1
        },"checkpoint.pth")
